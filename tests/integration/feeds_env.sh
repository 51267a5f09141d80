# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Sourced (bash) by tests/integration/test_feeds.sh and bench/feeds_bench.sh:
# a throw-away test CA and a local HTTPS nginx serving a docroot.
#
#   fz_env_ca DIR           DIR/ca.pem (the CA to trust), DIR/srv.{pem,key}
#                           (CN 127.0.0.1, SAN IP:127.0.0.1 and DNS:localhost,
#                           signed by the CA), DIR/rogue.{pem,key} (the same
#                           names, self-signed: must be refused)
#   fz_env_nginx DIR DOCROOT CADIR
#                           nginx on 127.0.0.1: $FZ_NGINX_PORT serves DOCROOT
#                           with the CA's certificate, $FZ_NGINX_ROGUE_PORT
#                           the same with the rogue one; access log
#                           DIR/access.log, one line per request:
#                           "URI STATUS ENCODING INM=If-None-Match IMS=If-Modified-Since"
#   fz_env_nginx_stop DIR   stop it (also safe when it never started)
#   fz_env_port             a port number that looks free (bash $RANDOM)

# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

FZ_NGINX=${FZ_NGINX:-$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)}

fz_env_ca()
{
	local d=$1
	mkdir -p "$d" || return 1
	cat >"$d/srv.ext" <<-'EOF'
		basicConstraints = critical, CA:FALSE
		keyUsage = critical, digitalSignature, keyEncipherment
		extendedKeyUsage = serverAuth
		subjectAltName = IP:127.0.0.1, DNS:localhost
	EOF
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.pem" -days 2 -subj "/CN=fangzha test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>"$d/openssl.log" &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$d/srv.key" -out "$d/srv.csr" -subj "/CN=127.0.0.1" \
			2>>"$d/openssl.log" &&
		openssl x509 -req -in "$d/srv.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
			-CAcreateserial -out "$d/srv.pem" -days 2 -extfile "$d/srv.ext" \
			2>>"$d/openssl.log" &&
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$d/rogue.key" -out "$d/rogue.pem" -days 2 -subj "/CN=127.0.0.1" \
			-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>>"$d/openssl.log" || {
		cat "$d/openssl.log" >&2
		return 1
	}
}

fz_env_port()
{
	fz_port
}

fz_env_nginx()
{
	local d=$1 root=$2 ca=$3
	mkdir -p "$d/tmp" || return 1
	for _ in 1 2 3 4 5 6 7 8; do
		FZ_NGINX_PORT=$(fz_env_port)
		FZ_NGINX_ROGUE_PORT=$(fz_env_port)
		[ "$FZ_NGINX_PORT" != "$FZ_NGINX_ROGUE_PORT" ] || continue
		cat >"$d/nginx.conf" <<-EOF
			# The workers read the docroot (and feed snapshots linked from it)
			# as the user running the test.
			user root root;
			worker_processes 1;
			pid $d/nginx.pid;
			error_log $d/error.log warn;
			events { worker_connections 256; }
			http {
				log_format fz '\$request_uri \$status \$sent_http_content_encoding INM=\$http_if_none_match IMS=\$http_if_modified_since';
				access_log $d/access.log fz;
				client_body_temp_path $d/tmp/body;
				proxy_temp_path $d/tmp/proxy;
				fastcgi_temp_path $d/tmp/fastcgi;
				uwsgi_temp_path $d/tmp/uwsgi;
				scgi_temp_path $d/tmp/scgi;
				default_type text/plain;
				sendfile on;
				gzip on;
				gzip_types text/plain;
				gzip_min_length 256;
				keepalive_timeout 10;
				server {
					listen 127.0.0.1:$FZ_NGINX_PORT ssl;
					server_name localhost 127.0.0.1;
					ssl_certificate $ca/srv.pem;
					ssl_certificate_key $ca/srv.key;
					root $root;
				}
				server {
					listen 127.0.0.1:$FZ_NGINX_ROGUE_PORT ssl;
					ssl_certificate $ca/rogue.pem;
					ssl_certificate_key $ca/rogue.key;
					root $root;
				}
			}
		EOF
		if "$FZ_NGINX" -c "$d/nginx.conf" -e "$d/error.log" 2>"$d/start.log"; then
			export FZ_NGINX_PORT FZ_NGINX_ROGUE_PORT
			return 0
		fi
		grep -q "in use" "$d/start.log" "$d/error.log" 2>/dev/null || break
	done
	echo "nginx did not start:" >&2
	cat "$d/start.log" >&2
	return 1
}

fz_env_nginx_stop()
{
	local d=$1 pid
	[ -f "$d/nginx.pid" ] || return 0
	pid=$(cat "$d/nginx.pid" 2>/dev/null)
	[ -n "$pid" ] || return 0
	fz_stop_pids 10 "$pid"
}
