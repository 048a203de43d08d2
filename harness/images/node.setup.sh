#!/bin/sh
# Runs inside the new root of image node while it is built (build.sh).
# User core as on Flatcar: sudo without password, in group docker; logins by key only.
useradd -K UID_MIN=500 --create-home --uid 500 --user-group --groups docker,sudo --shell /bin/bash core
usermod --password '*' core
echo 'core ALL=(ALL) NOPASSWD: ALL' >/etc/sudoers.d/core
chmod 0440 /etc/sudoers.d/core
# Each machine gets its own host key from the harness, as from its cloud-config.
rm -f /etc/ssh/ssh_host_*
# Nothing in a container to manage for these.
systemctl mask getty@tty1.service console-getty.service systemd-udevd.service \
    systemd-udevd-kernel.socket systemd-udevd-control.socket systemd-modules-load.service \
    sys-kernel-config.mount sys-kernel-debug.mount
systemctl enable docker.service ssh.service
