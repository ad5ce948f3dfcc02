#!/usr/bin/env python3
"""Mints N distinct access tokens from the load benchmark's OpenID provider (oidc-provider, the
client-credentials client `bench`), for the many-users case of benchmarks/load.sh: one token per
line on stdout. Eight threads on keep-alive connections; every token is checked to be distinct.

Usage: mint_tokens.py ISSUER RESOURCE N"""
import http.client, json, sys, threading, urllib.parse

issuer, resource, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
url = urllib.parse.urlsplit(issuer)
body = urllib.parse.urlencode({
    "grant_type": "client_credentials", "client_id": "bench", "client_secret": "bench-secret",
    "scope": "items me", "resource": resource,
})
tokens, lock = [], threading.Lock()

def mint(n):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    mine = []
    for _ in range(n):
        conn.request("POST", "/token", body, {"Content-Type": "application/x-www-form-urlencoded"})
        answer = conn.getresponse()
        data = json.loads(answer.read())
        if answer.status != 200:
            raise SystemExit(f"mint_tokens: the provider answered {answer.status}: {data}")
        mine.append(data["access_token"])
    with lock:
        tokens.extend(mine)

threads = [threading.Thread(target=mint, args=(count // 8 + (i < count % 8),)) for i in range(8)]
for t in threads: t.start()
for t in threads: t.join()
if len(set(tokens)) != count:
    raise SystemExit(f"mint_tokens: {len(set(tokens))} distinct tokens of {count}")
sys.stdout.write("\n".join(tokens) + "\n")
