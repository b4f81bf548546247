#!/usr/bin/env bash
# Installs (when missing) and starts an S3-compatible server, moto, on loopback for the tests;
# prints the `export` lines they read, so `eval "$(.ci/services/s3.sh)"` works. Running it again
# while the server answers only prints those lines. Progress goes to stderr.
set -euo pipefail

# Shared with sftp.sh, which says why it is not under /var/tmp.
DIR=${AQUEDUCT_SERVICES_DIR:-/var/lib/aqueduct-services}
PORT=${AQUEDUCT_S3_PORT:-9000}
VENV=$DIR/moto-venv
URL=http://127.0.0.1:$PORT
# S3 and the server's own needs only: moto[server] pulls every service's dependencies (cfn-lint,
# sympy, docker, ...), twice the install time and size. Moto 5.1+ has the conditional writes
# (If-None-Match, If-Match) the tests rely on.
PACKAGES=('moto[s3]>=5.1,<6' flask flask-cors)

log() { echo "s3.sh: $*" >&2; }

# Any HTTP reply, an error status included, means the server is up. Python rather than curl,
# which a fresh Debian lacks; python3 is needed for the install anyway.
answers() {
    python3 - "$URL/" 2>/dev/null <<'PY'
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=2)
except urllib.error.HTTPError:
    pass
PY
}

if answers; then
    log "already answering on $URL"
else
    mkdir -p "$DIR"
    # The marker, written last, names what was installed: a half-done or outdated venv is redone.
    if [ "$(cat "$VENV/.installed" 2>/dev/null)" != "${PACKAGES[*]}" ]; then
        log "installing ${PACKAGES[*]} into $VENV"
        rm -rf "$VENV"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PACKAGES[@]}" >&2
        echo "${PACKAGES[*]}" >"$VENV/.installed"
    fi
    log "starting moto_server on $URL (log: $DIR/moto.log)"
    # setsid + nohup: the server outlives this script and the CI shell that ran it.
    setsid nohup "$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >>"$DIR/moto.log" 2>&1 </dev/null &
    for _ in $(seq 1 60); do
        answers && break
        sleep 1
    done
    answers || { log "moto did not answer on $URL within 60 s; see $DIR/moto.log"; exit 1; }
fi

# Moto takes any key pair; us-east-1 is the region whose CreateBucket needs no LocationConstraint.
cat <<EOF
export AQUEDUCT_S3_URL=$URL
export AQUEDUCT_S3_REGION=us-east-1
export AQUEDUCT_S3_ACCESS_KEY_ID=test
export AQUEDUCT_S3_SECRET_ACCESS_KEY=test
EOF
