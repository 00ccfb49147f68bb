/**
 * Micro-VM backend of the sandbox API: each sandbox is a Linux VM (QEMU on Linux, {@code vfkit}
 * on macOS) booting a configured kernel and an initramfs BoxKit builds, whose PID 1 is a small
 * static guest agent ({@code src/main/c/boxkit-vm-agent.c}). See the
 * <a href="https://docs.kernel.org/filesystems/ramfs-rootfs-initramfs.html">initramfs</a> and
 * <a href="https://docs.oasis-open.org/virtio/virtio/v1.2/virtio-v1.2.html">virtio 1.2</a>
 * specifications.
 *
 * <h2>Root filesystem: packed into the initramfs</h2>
 * The root directory travels as a cpio "newc" archive appended to the initramfs (under
 * {@code /rootfs}); the kernel unpacks it into the guest's tmpfs with exact owners, modes,
 * symlinks and device nodes. Shared filesystems (virtio-fs from macOS in particular) lose
 * ownership and some modes, and a block image needs a filesystem builder (mke2fs) the host may
 * lack; a cpio needs neither and is reproducible. Its cost is guest memory roughly equal to the
 * root's size, so it suits the small images BoxKit builds; extended attributes (file
 * capabilities) are not carried. Read-only roots are remounted read-only inside the guest, and
 * the program runs without {@code CAP_SYS_ADMIN} in its bounding set, so it cannot remount them.
 *
 * <h2>Binds and control channel</h2>
 * {@link dev.boxkit.sandbox.Mount.Bind} sources are shared live over virtio-fs (one
 * {@code virtiofsd} per share under QEMU), mounted read-only inside the guest unless writable.
 * The host and the agent talk over a virtio-serial port (QEMU) or a vsock port (vfkit) through a
 * host Unix socket, in {@link dev.boxkit.sandbox.vm.ControlProtocol} frames: the spec goes in,
 * stdout, stderr and the exit status come out. The hypervisor's own exit code is never used as
 * the program's.
 *
 * <h2>Network</h2>
 * {@link dev.boxkit.sandbox.NetworkMode#NONE} gives the VM no network device at all; the guest
 * has only its loopback interface.
 */
package dev.boxkit.sandbox.vm;
