#!/usr/bin/env bash
# Regenerate docs/api.md's curl session against a local server with demo data (SQLite, no providers).
# Usage: bash docs/api_session.sh > /tmp/session.md   (then paste into docs/api.md)
set -euo pipefail
cd "$(dirname "$0")/.."
export KERYU_VAR_DIR="$(mktemp -d)" DJANGO_SETTINGS_MODULE=keryu_site.settings.base
py=.venv/bin/python
$py manage.py migrate -v0 >/dev/null
$py manage.py seed_demo >/dev/null
# A TOTP device for alice, so she can obtain a JWT (people pass their second factor first).
secret=$($py manage.py shell -v0 -c "
from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice
u = User.objects.get(username='alice')
d, _ = TOTPDevice.objects.get_or_create(user=u, name='api-doc', defaults={'confirmed': True})
print(d.key)")
totp() { $py -c "
import binascii, time
from django_otp.oath import totp
print(f'{totp(binascii.unhexlify(\"$secret\")):06d}')"; }
$py manage.py runserver 127.0.0.1:8765 --noreload >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 1 50); do curl -fs 127.0.0.1:8765/health/ -o /dev/null && break; sleep 0.2; done

show() {  # print a command and its real output as Markdown
  printf '```console\n$ %s\n' "$1"
  eval "$1" | $py -m json.tool --no-ensure-ascii 2>/dev/null | head -n "${2:-40}" || true
  printf '```\n\n'
}
B=http://127.0.0.1:8765/api
echo "### Obtain a token (password + current TOTP code)"
code=$(totp)
show "curl -s -X POST $B/token/ -H 'Content-Type: application/json' -d '{\"username\": \"alice\", \"password\": \"keryu-demo-pass\", \"otp_token\": \"$code\"}'"
access=$(curl -s -X POST $B/token/ -H 'Content-Type: application/json' -d "{\"username\": \"alice\", \"password\": \"keryu-demo-pass\", \"otp_token\": \"$(sleep 31; totp)\"}" | $py -c "import json,sys; print(json.load(sys.stdin)['access'])")
H="-H 'Authorization: Bearer $access'"
echo "### List your subjects"
show "curl -s $B/subjects/ $H" 30
echo "### Your QR codes"
show "curl -s $B/qr-codes/ $H" 30
uuid=$(eval "curl -s $B/qr-codes/ $H" | $py -c "import json,sys; print(json.load(sys.stdin)['results'][0]['uuid'])")
echo "### Raise a test alarm"
show "curl -s -X POST $B/alarms/ $H -H 'Content-Type: application/json' -d '{\"qr_code\": \"$uuid\", \"situation_type\": \"TEST\"}'"
echo "### Bad input is a JSON field error"
show "curl -s -X POST $B/alarms/ $H -H 'Content-Type: application/json' -d '{\"qr_code\": \"$uuid\", \"situation_type\": \"PANIC\", \"latitude\": 123}'"
echo "### Statistics"
show "curl -s $B/alarms/statistics/ $H"
echo "### Without a token"
show "curl -s $B/alarms/"
