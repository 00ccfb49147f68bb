package dev.boxkit.sandbox.vm;

import dev.boxkit.sandbox.InvalidSandboxSpecException;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.NetworkMode;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.Stdio;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A {@link SandboxSpec} checked against what the VM backend can honour and compiled into the
 * guest's spec frame plus the host directories to share. Fields the backend cannot honour are
 * rejected, never ignored.
 *
 * @param root the host tree that becomes the guest's root (in the initramfs or on a disk, see
 *     {@link RootDiskCache})
 * @param shares host directories shared over virtio-fs, tags {@code b0, b1, ...}
 * @param specFrame payload of the {@link ControlProtocol#SPEC} frame
 * @param memoryBytes guest memory
 */
record GuestPlan(GuestRoot root, List<Path> shares, byte[] specFrame, long memoryBytes) {

  /** Guest memory when the spec sets no memory limit: 512 MiB. */
  static final long DEFAULT_MEMORY_BYTES = 512L << 20;

  GuestPlan {
    shares = List.copyOf(shares);
    specFrame = specFrame.clone();
  }

  @Override
  public byte[] specFrame() {
    return specFrame.clone();
  }

  /** @return this plan with {@code records} (encoded spec records) appended to its spec frame */
  GuestPlan withRecords(byte[] records) {
    byte[] joined = java.util.Arrays.copyOf(specFrame, specFrame.length + records.length);
    System.arraycopy(records, 0, joined, specFrame.length, records.length);
    return new GuestPlan(root, shares, joined, memoryBytes);
  }

  /**
   * @throws InvalidSandboxSpecException naming the first field the VM backend cannot honour
   */
  static GuestPlan compile(SandboxSpec spec) {
    GuestRoot root = GuestRoot.of(spec.root());
    // An image root is writable in the guest, its writes discarded at the end, as under namespaces.
    boolean rootWritable = spec.root() instanceof Rootfs.FromImage;
    if (!spec.devices().isEmpty() || spec.mounts().stream().anyMatch(m -> m instanceof Mount.Device)) {
      throw new InvalidSandboxSpecException("devices", "device nodes and CDI devices are not supported"
          + " by the VM backend (the guest has no pass-through devices); use Isolation.NAMESPACES");
    }
    dev.boxkit.sandbox.spi.HostPaths.check(spec);
    if (spec.network() != NetworkMode.NONE) {
      throw new InvalidSandboxSpecException("network", spec.network() + " is not supported by the VM"
          + " backend: the guest has no network device (NONE, published ports and egress allow-lists"
          + " are relayed over its control channel)");
    }
    ResourceLimits l = spec.limits();
    if (l.pidsMax() > 0) {
      throw new InvalidSandboxSpecException("limits.pidsMax", "not supported by the VM backend");
    }
    if (l.cpuQuotaMicros() > 0) {
      throw new InvalidSandboxSpecException("limits.cpuQuotaMicros", "not supported by the VM backend");
    }
    long memory = DEFAULT_MEMORY_BYTES;
    if (l.memoryBytes() > 0) {
      memory = (l.memoryBytes() + (1L << 20) - 1) & ~((1L << 20) - 1);
      if (memory < VmConfig.MIN_MEMORY_BYTES) {
        throw new InvalidSandboxSpecException("limits.memoryBytes", l.memoryBytes()
            + " is below the 64 MiB a VM (kernel, agent, small roots in memory) needs");
      }
    }
    if (spec.stdin() instanceof Stdio.Inherit) {
      throw new InvalidSandboxSpecException("stdin", "the JVM's own stdin cannot be given to a VM sandbox");
    }

    ControlProtocol.SpecWriter w = new ControlProtocol.SpecWriter();
    spec.argv().forEach(a -> w.add('a', a));
    for (Map.Entry<String, String> e : spec.env().entrySet()) {
      w.add('e', e.getKey() + "=" + e.getValue());
    }
    w.add('w', spec.workingDir()).add('h', spec.hostname()).add('r', rootWritable ? "rw" : "ro");
    if (!(spec.stdin() instanceof Stdio.Discard)) {
      w.add('i', "pipe");
    }
    w.add('u', Long.toString(spec.uid())).add('g', Long.toString(spec.gid()));
    if (l.openFiles() > 0) {
      w.add('n', Long.toString(l.openFiles()));
    }
    if (!spec.egress().isDenyAll()) {
      // The agent listens there; what connects is relayed to the host's egress proxy.
      w.add('P', Integer.toString(dev.boxkit.sandbox.internal.egress.SandboxEgress.SANDBOX_PORT));
    }
    List<Path> shares = new ArrayList<>();
    for (int i = 0; i < spec.mounts().size(); i++) {
      Mount m = spec.mounts().get(i);
      if (m instanceof Mount.Bind b) {
        if (!Files.isDirectory(b.source())) {
          throw new InvalidSandboxSpecException("mounts[" + i + "].source", b.source()
              + " is not an existing directory (the VM backend shares directories only)");
        }
        String tag = "b" + shares.size();
        shares.add(b.source());
        w.mount(List.of("bind", b.destination(), tag, b.writable() ? "rw" : "ro"));
      } else if (m instanceof Mount.Tmpfs t) {
        w.mount(List.of("tmpfs", t.destination(), Long.toString(t.sizeBytes()), "rw"));
      } else if (m instanceof Mount.Proc p) {
        w.mount(List.of("proc", p.destination(), "", "rw"));
      } else if (m instanceof Mount.DevMinimal d) {
        w.mount(List.of("dev", d.destination(), "", "rw"));
      }
    }
    if (spec.mounts().stream().anyMatch(m -> m instanceof Mount.Bind b && b.writable())) {
      // What the guest writes to a shared folder is a host file: no setuid/setgid bit may land
      // there (virtiofsd writes as the guest's ids, so a guest root's setuid file would be the
      // host root's). The guest has the host's architecture (QEMU without emulation, vfkit).
      w.add('S', dev.boxkit.sandbox.seccomp.SeccompFilter.setIdModesOnly()
          .compile(dev.boxkit.sandbox.seccomp.SeccompArch.host()));
    }
    RootDiskCache.policy(); // a bad boxkit.vm.rootDisk is refused before anything starts
    return new GuestPlan(root, shares, w.toByteArray(), memory);
  }
}
