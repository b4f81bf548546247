#!/usr/bin/env bash
# Installs (when missing) and starts an SFTP server on loopback for the tests: a separate sshd
# with its own config, keys and pid file in the services dir (the system sshd and port 22 are
# left alone), serving only internal-sftp to one chrooted user. Prints the `export` lines the
# tests read, so `eval "$(.ci/services/sftp.sh)"` works; running it again while the port
# answers only prints those lines. Progress goes to stderr. Needs root (apt, useradd, chroot).
set -euo pipefail

# Not under /var/tmp or /tmp: sshd refuses a chroot with any group- or other-writable component.
DIR=${AQUEDUCT_SERVICES_DIR:-/var/lib/aqueduct-services}
PORT=${AQUEDUCT_SFTP_PORT:-2222}
USER_NAME=aqueduct
PASSWORD=aqueduct-test
ROOT=$DIR/sftp-root # the chroot; the user writes only in $ROOT/upload
CONF=$DIR/sshd_config
HOST_KEY=$DIR/sftp_host_ed25519_key
CLIENT_KEY=$DIR/sftp_client_key

log() { echo "sftp.sh: $*" >&2; }
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

install_sshd() {
    # Debian starts ssh.service on install unless a policy-rc.d says no; we want only our instance.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    local apt=(apt-get install -y -q --no-install-recommends openssh-server)
    log "installing openssh-server"
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" >&2 ||
        { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive "${apt[@]}" >&2; }
}

start_sshd() {
    [ "$(id -u)" = 0 ] || { log "must run as root"; exit 1; }
    mkdir -p "$DIR" "$ROOT/upload" "$DIR/authorized_keys"
    chmod 755 "$DIR" "$ROOT"

    # sshd checks every component of the chroot path at login, not at start; check it now.
    local p=$ROOT
    while [ "$p" != / ]; do
        if [ "$(stat -c %u "$p")" != 0 ] || (($(stat -c '0%a' "$p") & 022)); then
            log "$p must be root-owned and not group/other writable to hold the chroot"
            exit 1
        fi
        p=$(dirname "$p")
    done
    [ -x /usr/sbin/sshd ] || install_sshd

    if ! id "$USER_NAME" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir / --shell /usr/sbin/nologin "$USER_NAME"
    fi
    # Every run: it also unlocks the account, which sshd requires even for key logins without PAM.
    echo "$USER_NAME:$PASSWORD" | chpasswd
    chown "$USER_NAME:" "$ROOT/upload"

    [ -f "$HOST_KEY" ] || ssh-keygen -q -t ed25519 -N '' -C aqueduct-sftp-host -f "$HOST_KEY"
    [ -f "$CLIENT_KEY" ] || ssh-keygen -q -t ed25519 -N '' -C aqueduct-sftp-client -f "$CLIENT_KEY"
    install -m 644 "$CLIENT_KEY.pub" "$DIR/authorized_keys/$USER_NAME"

    cat >"$CONF" <<EOF
# Written by .ci/services/sftp.sh on each start; edit the script, not this file.
ListenAddress 127.0.0.1:$PORT
HostKey $HOST_KEY
PidFile $DIR/sshd.pid
LogLevel VERBOSE
AllowUsers $USER_NAME
PermitRootLogin no
PubkeyAuthentication yes
AuthorizedKeysFile $DIR/authorized_keys/%u
PasswordAuthentication yes
KbdInteractiveAuthentication no
# The password is checked against /etc/shadow (chpasswd's), leaving the system's PAM policy out.
UsePAM no
# Tests connect in parallel; sshd's default (10:30:100) drops some of them.
MaxStartups 100
MaxSessions 100
AllowTcpForwarding no
AllowAgentForwarding no
X11Forwarding no
PermitTunnel no
PermitTTY no
Subsystem sftp internal-sftp
ForceCommand internal-sftp
ChrootDirectory $ROOT
EOF
    install -d -m 755 /run/sshd # privilege separation dir; /run is emptied at boot
    /usr/sbin/sshd -t -f "$CONF" # a config error shows here, on stderr, rather than in the log
    log "starting sshd on 127.0.0.1:$PORT (log: $DIR/sshd.log)"
    # An absolute path, which sshd needs to re-exec itself; it daemonizes on its own.
    /usr/sbin/sshd -f "$CONF" -E "$DIR/sshd.log"
    for _ in $(seq 1 60); do
        answers && return 0
        sleep 1
    done
    log "sshd did not answer on 127.0.0.1:$PORT within 60 s; see $DIR/sshd.log"
    exit 1
}

if answers; then
    log "already answering on 127.0.0.1:$PORT"
else
    start_sshd
fi

cat <<EOF
export AQUEDUCT_SFTP_ADDR=127.0.0.1:$PORT
export AQUEDUCT_SFTP_USER=$USER_NAME
export AQUEDUCT_SFTP_PASSWORD=$PASSWORD
export AQUEDUCT_SFTP_KEY=$CLIENT_KEY
export AQUEDUCT_SFTP_HOST_KEY=$HOST_KEY.pub
export AQUEDUCT_SFTP_ROOT=$ROOT
EOF
