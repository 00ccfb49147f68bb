package dev.boxkit.sandbox.linux;

/**
 * Resources that hold something of their own on top of a sandbox's other resources (an image's
 * writable layer, an egress proxy, a shared-network membership): adoption and killing go through
 * to the inner ones; {@link #finish()} finishes them first, then releases this layer's own.
 */
abstract class LayeredResources implements SandboxResources {
  /** The resources below this layer. */
  final SandboxResources inner;

  LayeredResources(SandboxResources inner) {
    this.inner = inner;
  }

  @Override
  public final void adopt(int pid) {
    inner.adopt(pid);
  }

  @Override
  public final void killAll() {
    inner.killAll();
  }

  @Override
  public final Usage finish() {
    Usage usage;
    try {
      usage = inner.finish();
    } finally {
      release();
    }
    return usage(usage);
  }

  /** Releases what this layer holds; runs after the inner resources finished, even if they failed. */
  abstract void release();

  /** @return the usage to report, from the inner resources' (by default unchanged) */
  Usage usage(Usage inner) {
    return inner;
  }
}
