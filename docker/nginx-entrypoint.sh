#!/bin/sh
# Points nginx's resolver at the container network's DNS server, then runs
# nginx. docker/nginx.conf names the replicas by their service name in a
# variable, so nginx looks the name up at request time (cached for a second)
# and a replica that restarts at another address, as podman's do, is found
# again without a reload (a reload would close clients' idle keep-alive
# connections). Only the first nameserver: nginx asks its resolvers in
# turn, and the others (the host's) do not know the services.
set -eu

nameserver=$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf)
if [ -z "$nameserver" ]; then
    echo "nginx-entrypoint: no nameserver in /etc/resolv.conf" >&2
    exit 1
fi
case "$nameserver" in
*:*) nameserver="[$nameserver]" ;;
esac
echo "resolver $nameserver valid=1s;" > /etc/nginx/resolver.conf
exec nginx -g 'daemon off;'
