#!/bin/sh
# Runs nginx, and reloads it when the address of one of its upstream servers
# changes. nginx resolves the names in its upstream blocks only when it
# (re)loads its configuration, while a restarted container may come back at
# another address (podman gives it the next free one): without the reload,
# nginx would keep sending that replica's share to an address nobody has.
# A reload is graceful: old workers finish the requests they proxy.
set -eu

conf=/etc/nginx/nginx.conf
# How often the names are looked up again, in seconds.
interval=1

names=$(sed -n 's/^[[:space:]]*server[[:space:]]\{1,\}\([A-Za-z][A-Za-z0-9.-]*\):[0-9].*/\1/p' "$conf" | sort -u)

addresses() {
    # A name that does not resolve (its container is stopped) just drops out.
    for name in $names; do getent hosts "$name" || true; done | sort
}

nginx -g 'daemon off;' &
nginx_pid=$!
trap 'kill -QUIT "$nginx_pid" 2>/dev/null' QUIT TERM INT

last=$(addresses)
while kill -0 "$nginx_pid" 2>/dev/null; do
    sleep "$interval"
    now=$(addresses)
    if [ "$now" != "$last" ] && [ "$(echo "$now" | grep -c .)" -eq "$(echo "$names" | wc -w)" ]; then
        # Only once every name resolves again: nginx refuses a configuration with an unknown host.
        echo "nginx-entrypoint: upstream addresses changed; reloading nginx" >&2
        nginx -s reload || true
        last=$now
    fi
done
wait "$nginx_pid"
