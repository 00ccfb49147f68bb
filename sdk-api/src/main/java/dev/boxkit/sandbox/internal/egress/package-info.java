/**
 * Internal: the host side of sandbox egress allow-lists, an HTTP/1.1 forward proxy that lets a
 * sandbox reach only the destinations of its {@link dev.boxkit.sandbox.EgressPolicy}. Both
 * backends run it through {@link dev.boxkit.sandbox.internal.egress.SandboxEgress}: the Linux
 * backend forwards a port inside the sandbox to {@link
 * dev.boxkit.sandbox.internal.egress.EgressProxy#port()}, the VM backend relays the same port
 * over its control channel, and both set {@code HTTP_PROXY} and {@code HTTPS_PROXY}. Not an
 * API: it may change in any release.
 */
package dev.boxkit.sandbox.internal.egress;
