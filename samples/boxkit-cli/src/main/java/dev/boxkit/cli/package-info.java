/** The {@code boxkit} command line: a thin front on the public API. */
package dev.boxkit.cli;
