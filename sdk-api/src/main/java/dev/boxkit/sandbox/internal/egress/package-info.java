/**
 * Internal: the host side of sandbox egress allow-lists, an HTTP/1.1 forward proxy that lets a
 * sandbox reach only the destinations of its {@link dev.boxkit.sandbox.EgressPolicy}. Used by
 * the Linux backend (which forwards a port inside the sandbox to {@link
 * dev.boxkit.sandbox.internal.egress.EgressProxy#port()} and sets {@code HTTP_PROXY} and
 * {@code HTTPS_PROXY}); not an API, it may change in any release.
 */
package dev.boxkit.sandbox.internal.egress;
