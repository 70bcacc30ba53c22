/* Keryu scan pages: optional extras. Everything works without this file. */
(function () {
  "use strict";

  // Geolocation: only after the finder taps the button (the browser then asks for permission).
  var geo = document.getElementById("use-location");
  if (geo && navigator.geolocation) {
    geo.hidden = false;
    geo.addEventListener("click", function () {
      var state = document.getElementById("location-state");
      state.textContent = geo.dataset.waiting;
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          document.getElementById("id_latitude").value = pos.coords.latitude.toFixed(6);
          document.getElementById("id_longitude").value = pos.coords.longitude.toFixed(6);
          state.textContent = geo.dataset.done;
        },
        function () { state.textContent = geo.dataset.failed; },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }

  // Live progress on the confirmation page.
  var list = document.getElementById("progress");
  if (list && window.fetch) {
    var url = list.dataset.statusUrl;
    var poll = function () {
      fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          ["notified", "delivered", "acknowledged"].forEach(function (step) {
            var li = list.querySelector('[data-step="' + step + '"]');
            if (li && data[step]) { li.classList.add("done"); }
          });
          var note = document.getElementById("note");
          if (data.note && note) {
            note.textContent = note.dataset.prefix ? note.dataset.prefix + " \u201c" + data.note + "\u201d" : data.note;
            note.hidden = false;
          }
          if (!data.acknowledged) { setTimeout(poll, 3000); }
        })
        .catch(function () { setTimeout(poll, 6000); });
    };
    setTimeout(poll, 1500);
  }
})();
