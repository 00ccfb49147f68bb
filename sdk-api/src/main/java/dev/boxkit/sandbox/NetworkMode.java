package dev.boxkit.sandbox;

/** Which network the sandboxed process sees. */
public enum NetworkMode {
  /** A fresh network namespace with only the loopback interface, up. The host is unreachable. */
  NONE,
  /** The host's network namespace, shared. */
  HOST
}
