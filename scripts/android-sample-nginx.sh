#!/usr/bin/env bash
# A private HTTPS nginx on loopback for the Android sample's transport tests, in the manner
# of tests/src/nginx.rs: its own prefix, config, pid and logs; `daemon off`,
# `master_process off`; stopped by its pid when the command ends (also on failure).
# A throwaway CA-less self-signed P-256 certificate for 127.0.0.1 is made with openssl.
#   scripts/android-sample-nginx.sh PREFIX -- COMMAND...
# COMMAND sees HCE_NGINX_URL (https://127.0.0.1:PORT), HCE_NGINX_CERT (PEM to trust),
# HCE_NGINX_LOG (access log: status, bytes, request, If-None-Match).
# Locations: /bundle.cose (the fixture key bundle, ETag on), /big (2 MiB), /slow (1 byte/s),
# /err503 (503), /redirect (302 to http://), /post (logs a POST), /tsp/… (a token service).
set -euo pipefail
prefix=$(realpath -m "$1"); shift
[ "${1:-}" = "--" ] && shift
nginx=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[ -x "$nginx" ] || { echo "android-sample-nginx: nginx missing (apt-get install nginx-light)" >&2; exit 1; }
if ! command -v openssl >/dev/null; then
  echo "android-sample-nginx: apt-get install openssl" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openssl; } >&2
fi
rm -rf "$prefix"; mkdir -p "$prefix/www" "$prefix/tmp"
cp bindings/kotlin-tests/fixtures/key-bundle.cose "$prefix/www/bundle.cose"
cp bindings/kotlin-tests/fixtures/token-status-window.cose "$prefix/www/status-window.cose"
head -c $((2 * 1024 * 1024)) /dev/zero > "$prefix/www/big"
head -c 64 /dev/zero > "$prefix/www/slow"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -keyout "$prefix/key.pem" -out "$prefix/cert.pem" -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1,DNS:localhost 2>/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$prefix/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $prefix/nginx.pid;
error_log $prefix/error.log info;
events { worker_connections 64; }
http {
    log_format brief '\$status \$body_bytes_sent "\$request" "\$http_if_none_match"';
    access_log $prefix/access.log brief;
    log_format posted '\$request_method \$status "\$http_idempotency_key" "\$content_type" \$request_body';
    client_body_temp_path $prefix/tmp/body;
    proxy_temp_path $prefix/tmp/proxy;
    fastcgi_temp_path $prefix/tmp/fastcgi;
    uwsgi_temp_path $prefix/tmp/uwsgi;
    scgi_temp_path $prefix/tmp/scgi;
    default_type application/octet-stream;
    types { application/cose cose; }
    keepalive_timeout 5s;
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $prefix/cert.pem;
        ssl_certificate_key $prefix/key.pem;
        root $prefix/www;
        etag on;
        location = /slow { limit_rate 1; }
        location = /err503 { return 503; }
        location = /redirect { return 302 http://127.0.0.1:$port/bundle.cose; }
        # Static files cannot take a POST: log what came (body, Idempotency-Key) and answer
        # with the bundle fetched from this same server by GET.
        location = /post {
            access_log $prefix/post.log posted;
            proxy_method GET;
            proxy_pass https://127.0.0.1:$port/bundle.cose;
        }
        # A token service (docs/token-sync.md): the device's status window, and the user's
        # requests logged like /post and answered 204.
        location = /tsp/status/kotlin-device-1 { try_files /status-window.cose =404; }
        location = /tsp/requests {
            access_log $prefix/post.log posted;
            proxy_method GET;
            proxy_pass https://127.0.0.1:$port/tsp-received;
        }
        location = /tsp-received { return 204; }
    }
}
CONF
"$nginx" -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" </dev/null >/dev/null 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 200); do
  kill -0 "$pid" 2>/dev/null || { echo "android-sample-nginx: nginx exited: $(cat "$prefix/error.log")" >&2; exit 1; }
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.05
done
export HCE_NGINX_URL="https://127.0.0.1:$port" HCE_NGINX_CERT="$prefix/cert.pem" HCE_NGINX_LOG="$prefix/access.log" HCE_NGINX_POST_LOG="$prefix/post.log"
"$@"
