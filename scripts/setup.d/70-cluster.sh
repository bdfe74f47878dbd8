# Many machines (docs/CLUSTER.md): the OpenSSH client and rsync reach SSH
# targets; the daemons, Slurm, podman and busybox are for tests/cluster, which
# starts its own sshd, munge, Slurm and podman on 127.0.0.1.
cluster_new_services=()
for package_service in openssh-server:ssh munge:munge slurmctld:slurmctld slurmd:slurmd; do
  dpkg-query -W -f='${Status}' "${package_service%%:*}" 2>/dev/null | grep -q "ok installed" ||
    cluster_new_services+=("${package_service#*:}")
done
dli_apt openssh-client rsync openssh-server munge slurmctld slurmd slurm-client \
  podman runc busybox-static python3-yaml
# Installing a daemon's package starts its system service where systemd runs;
# the tests need none of them, and an sshd on port 22 is not ours to open.
if [ ${#cluster_new_services[@]} -gt 0 ] && [ -d /run/systemd/system ]; then
  log "disabling the system services the packages started: ${cluster_new_services[*]}"
  systemctl disable --now "${cluster_new_services[@]}" ||
    log "could not disable ${cluster_new_services[*]}: stop them with systemctl"
fi
unset cluster_new_services package_service
