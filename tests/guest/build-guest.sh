#!/usr/bin/env bash
# Builds the small QEMU test guest from Debian packages, once, into a cache folder outside the git tree:
#   build-guest.sh [DIR]     (default: $FASTBRIDGE_GUEST_DIR, else /var/cache/fastbridge-guest)
# DIR then holds vmlinuz (Debian's cloud kernel), initrd.img (busybox-static, the virtio-net modules and ./init) and
# busybox (the same static binary, for the host side of tests: nc, md5sum). A second run with the same kernel
# package, init and module list does nothing (stamp file DIR/STAMP); parallel runs wait on a lock.
# Needs apt-get (download only: nothing is installed), dpkg-deb and depmod (kmod). See docs/guests.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-${FASTBRIDGE_GUEST_DIR:-/var/cache/fastbridge-guest}}
modules=${FASTBRIDGE_GUEST_MODULES:-virtio_pci virtio_net}   # loaded with their dependencies, in order
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

exec 9>"$dir/.lock"
flock 9

# The kernel: the package the cloud meta-package currently points at, unsigned flavour (same modules, no shim).
kpkg=${FASTBRIDGE_GUEST_KERNEL:-}
if [ -z "$kpkg" ]; then
  kpkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-.*-cloud-amd64$/ {print $2; exit}')
  [ -n "$kpkg" ] && kpkg="$kpkg-unsigned"
fi
if [ -z "$kpkg" ]; then
  if [ -f "$dir/STAMP" ]; then
    echo "build-guest: apt knows no linux-image-cloud-amd64; keeping the cached guest" >&2
    echo "$dir"
    exit 0
  fi
  echo "build-guest: apt knows no linux-image-cloud-amd64 (run apt-get update?)" >&2
  exit 1
fi

stamp="$kpkg $(cat "$0" "$here/init" | sha256sum | cut -c1-16) $modules"
if [ -f "$dir/STAMP" ] && [ "$(cat "$dir/STAMP")" = "$stamp" ] \
  && [ -f "$dir/vmlinuz" ] && [ -f "$dir/initrd.img" ] && [ -x "$dir/busybox" ]; then
  echo "$dir"
  exit 0
fi

start=$(date +%s)
work=$(mktemp -d "$dir/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# 1. Packages: apt-get download fetches into the current folder without installing anything.
mkdir -p "$dir/debs"
find "$dir/debs" -name 'linux-image-*.deb' ! -name "${kpkg}_*" -delete   # kernels apt no longer points at
for pkg in "$kpkg" busybox-static; do
  if ! ls "$dir/debs/${pkg}_"*.deb >/dev/null 2>&1; then
    (cd "$dir/debs" && apt-get download -q "$pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) || true
  fi
  ls "$dir/debs/${pkg}_"*.deb >/dev/null 2>&1 || { echo "build-guest: could not download $pkg" >&2; exit 1; }
done
dpkg-deb -x "$(ls "$dir/debs/${kpkg}_"*.deb | tail -1)" kernel
dpkg-deb -x "$(ls "$dir/debs/busybox-static_"*.deb | tail -1)" bb
kver=$(ls kernel/lib/modules | head -1)
moddir=kernel/lib/modules/$kver
[ -f "$moddir/modules.dep" ] || depmod -b kernel "$kver"

# 2. Module load order: modules.dep lists a module's dependencies, deepest last; load those first, each once.
order=()
add_module() {
  local name=$1 line path deps=() i
  line=$(grep -E "(^|/)${name}\.ko(\.[a-z]+)?:" "$moddir/modules.dep" | head -1) || true
  if [ -z "$line" ]; then
    grep -qE "(^|/)${name}\.ko" "$moddir/modules.builtin" && return 0   # built into this kernel
    echo "build-guest: module $name not found in $kver" >&2
    exit 1
  fi
  path=${line%%:*}
  read -r -a deps <<<"${line#*:}"
  for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
    add_module "$(basename "${deps[i]}" | sed -E 's/\.ko(\.[a-z]+)?$//')"
  done
  for i in "${order[@]}"; do [ "$i" = "$path" ] && return 0; done
  order+=("$path")
}
for m in $modules; do add_module "$m"; done

# 3. The initramfs: busybox with its applet links, the modules (decompressed, so plain insmod loads them), /init.
root=$work/root
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,lib/modules}
cp bb/bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
: >"$root/etc/fbguest-modules"
for path in "${order[@]}"; do
  name=$(basename "$path" | sed -E 's/\.ko(\.[a-z]+)?$//')
  case "$path" in
    *.ko.xz) xz -dc "$moddir/$path" >"$root/lib/modules/$name.ko" ;;
    *.ko.zst) zstd -qdc "$moddir/$path" >"$root/lib/modules/$name.ko" ;;
    *.ko.gz) gzip -dc "$moddir/$path" >"$root/lib/modules/$name.ko" ;;
    *) cp "$moddir/$path" "$root/lib/modules/$name.ko" ;;
  esac
  echo "$name" >>"$root/etc/fbguest-modules"
done
install -m 0755 "$here/init" "$root/init"
(cd "$root" && find . | LC_ALL=C sort | "$work/bb/bin/busybox" cpio -o -H newc 2>/dev/null) | gzip -1 >initrd.img

# 4. Publish atomically: files first, the stamp last.
cp "kernel/boot/vmlinuz-$kver" "$dir/vmlinuz.new" && mv "$dir/vmlinuz.new" "$dir/vmlinuz"
mv initrd.img "$dir/initrd.img"
cp bb/bin/busybox "$dir/busybox.new" && mv "$dir/busybox.new" "$dir/busybox"
echo "$stamp" >"$dir/STAMP"
echo "build-guest: $kver, modules: $(tr '\n' ' ' <"$root/etc/fbguest-modules")in $(($(date +%s) - start)) s" >&2
echo "$dir"
