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

  // Live progress on the confirmation page: the server says what is true (home/progress.py); this only shows it.
  var box = document.getElementById("finder-state");
  if (box && window.fetch && box.dataset.final !== "1") {
    var url = box.dataset.statusUrl;
    var show = function (data) {
      document.getElementById("headline").textContent = data.headline;
      document.title = data.headline;
      var detail = document.getElementById("detail");
      detail.textContent = data.detail;
      detail.hidden = !data.detail;
      var list = document.getElementById("progress");
      var items = data.steps.map(function (step) {
        var li = list.querySelector('[data-step="' + step.id + '"]') || document.createElement("li");
        li.dataset.step = step.id;
        li.textContent = step.label;
        li.classList.toggle("done", !!step.done);
        return li;
      });
      while (list.firstChild) { list.removeChild(list.firstChild); }
      items.forEach(function (li) { list.appendChild(li); });
      var note = document.getElementById("note");
      note.textContent = data.note ? data.note_prefix + " \u201c" + data.note + "\u201d" : "";
      note.hidden = !data.note;
      var messages = document.getElementById("messages");
      if (messages && data.messages) {
        while (messages.firstChild) { messages.removeChild(messages.firstChild); }
        data.messages.forEach(function (m) {
          var li = document.createElement("li");
          li.className = m.mine ? "ours" : "theirs";
          var who = document.createElement("span");
          who.className = "who";
          who.textContent = m.who;
          var at = document.createElement("span");
          at.className = "at";
          at.textContent = m.at;
          var text = document.createElement("p");
          text.textContent = m.text;
          li.appendChild(who);
          li.appendChild(document.createTextNode(" "));
          li.appendChild(at);
          li.appendChild(text);
          if (m.shared) {
            var shared = document.createElement("p");
            shared.className = "muted";
            shared.textContent = m.shared;
            li.appendChild(shared);
          }
          messages.appendChild(li);
        });
        messages.hidden = !data.messages.length;
        document.getElementById("no-messages").hidden = !!data.messages.length;
      }
      box.dataset.state = data.state;
      box.dataset.final = data.final ? "1" : "0";
      if (data.final) {  // closed: nothing to wait for, nobody to stay with on our account
        Array.prototype.forEach.call(box.querySelectorAll("[data-until-final]"), function (el) { el.hidden = true; });
      }
    };
    var poll = function () {
      fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { setTimeout(poll, 6000); return; }
          show(data);
          // Until it is closed: every 3 s while the family is being reached, then every 10 s.
          // (Acknowledged: every 5 s, the family may be writing.)
          if (!data.final) { setTimeout(poll, data.state === "acknowledged" || data.state === "already_known" ? 5000 : 3000); }
        })
        .catch(function () { setTimeout(poll, 6000); });
    };
    setTimeout(poll, 1500);
  }
})();
