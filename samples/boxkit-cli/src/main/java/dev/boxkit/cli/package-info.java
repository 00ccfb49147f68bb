/**
 * The {@code boxkit} command line: a thin front on the public API, with image locations written
 * as in <a href="https://github.com/containers/image/blob/main/docs/containers-transports.5.md">containers-transports(5)</a>
 * and exit statuses as {@code docker run}'s (reference: {@code docs/cli.md}).
 */
package dev.boxkit.cli;
