# nginx in front of inferd replicas (docker/compose.yaml): Debian's nginx,
# which has the gRPC proxy module, with docker/nginx.conf. Build from the
# repository root:
#   docker build -f docker/nginx.Dockerfile -t inferd-nginx .
FROM debian:12-slim
COPY scripts/install-deps.sh /usr/local/share/inferd/install-deps.sh
RUN /usr/local/share/inferd/install-deps.sh --load-balancer \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY docker/nginx.conf /etc/nginx/nginx.conf
# nginx, its resolver pointed at the container network's DNS.
COPY docker/nginx-entrypoint.sh /usr/local/bin/nginx-entrypoint
EXPOSE 8000 8001
# SIGQUIT: nginx finishes the requests it is proxying, then exits.
STOPSIGNAL SIGQUIT
ENTRYPOINT ["/usr/local/bin/nginx-entrypoint"]
