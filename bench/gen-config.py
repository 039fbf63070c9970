#!/usr/bin/env python3
"""gen-config.py DIR [DIDS DIALPLANS EXTENSIONS]: writes a large, valid scaidial
configuration into DIR (scaidial.conf + conf.d/), for bench/run-config.sh."""
import os
import sys

out = sys.argv[1]
n_dids = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
n_dp = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
n_ext = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
n_tenants = 10
zones = ["America/New_York", "Europe/London", "Asia/Tokyo", "UTC", "Australia/Sydney"]

os.makedirs(os.path.join(out, "conf.d"), exist_ok=True)
with open(os.path.join(out, "scaidial.conf"), "w") as f:
    f.write(f"""general: {{
  sip_listen = [ "udp:127.0.0.1:25060" ];
  database = "state/scaidial.db";
  spool_dir = "spool";
  control_socket = "ctl.sock";
  log_level = "warn";
}};
livekit: {{ url = "ws://127.0.0.1:7880"; api_key = "devkey"; api_secret = "secret"; }};
webhooks: {{ secret = "s"; wave_ring = "http://127.0.0.1:8088/ring";
  bot_kickoff = "http://127.0.0.1:8089/kickoff"; }};
@include "conf.d/*.conf"
""")

def tenant(i):
    return f"t{i % n_tenants}"

with open(os.path.join(out, "conf.d", "10-tenants.conf"), "w") as f:
    f.write("tenants = (\n" + ",\n".join(
        f'  {{ id = "t{i}"; name = "Tenant {i}"; policy = {{ max_concurrent_calls = 100; '
        f'outbound_allow = [ "+1*", "+44*" ]; }}; }}' for i in range(n_tenants)) + "\n);\n")
    f.write("trunks = (\n" + ",\n".join(
        f'  {{ id = "trunk{i}"; tenant = "t{i}"; mode = "register"; '
        f'registrar = "sip:carrier{i}.example"; username = "u{i}"; password = "p{i}"; '
        f'allowed_addresses = [ "198.51.100.0/24" ]; codecs = [ "opus", "PCMU", "PCMA" ]; }}'
        for i in range(n_tenants)) + "\n);\n")

with open(os.path.join(out, "conf.d", "20-extensions.conf"), "w") as f:
    rows = []
    for i in range(n_ext):
        t = tenant(i)
        if i % 3 == 2:
            rows.append(f'  {{ id = "{2000 + i}"; tenant = "{t}"; type = "bot"; bot = "b{i}"; }}')
        else:
            rows.append(f'  {{ id = "{2000 + i}"; tenant = "{t}"; type = "wave"; '
                        f'user = "user{i}@{t}"; voicemail = true; }}')
    f.write("extensions = (\n" + ",\n".join(rows) + "\n);\n")

with open(os.path.join(out, "conf.d", "30-dialplans.conf"), "w") as f:
    rows = []
    for i in range(n_dp):
        t = tenant(i)
        # A wave extension of the same tenant: extension j belongs to tenant j % 10 and is a
        # bot when j % 3 == 2; moving by 10 keeps the tenant and leaves the bots.
        j = i % n_ext
        if j % 3 == 2:
            j = j + n_tenants if j + n_tenants < n_ext else j - n_tenants
        ext = 2000 + j
        rows.append(f'''  {{ id = "dp{i}"; tenant = "{t}"; rules = (
    {{ priority = 10; match = {{ caller = "^\\\\+1900[0-9]+$"; }}; action = "hangup"; status = 603; }},
    {{ priority = 20; match = {{ time = "mon-fri 09:00-17:30"; timezone = "{zones[i % len(zones)]}"; }};
      action = "ring_extension"; extension = "{ext}"; timeout = 25; on_no_answer = "voicemail"; }},
    {{ priority = 30; action = "voicemail"; extension = "{ext}"; }}
  ) }}''')
    f.write("dialplans = (\n" + ",\n".join(rows) + "\n);\n")

with open(os.path.join(out, "conf.d", "40-dids.conf"), "w") as f:
    rows = []
    for i in range(n_dids):
        dp = i % n_dp
        rows.append(f'  {{ number = "+1555{i:07d}"; trunk = "trunk{dp % n_tenants}"; dialplan = "dp{dp}"; }}')
    f.write("dids = (\n" + ",\n".join(rows) + "\n);\n")
