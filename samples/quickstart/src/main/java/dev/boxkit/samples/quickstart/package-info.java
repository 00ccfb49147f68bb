/** The quickstart: build a minimal image from host programs, then run a sandbox from it. */
package dev.boxkit.samples.quickstart;
