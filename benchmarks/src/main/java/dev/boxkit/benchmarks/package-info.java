/**
 * Benchmarks: JMH micro-benchmarks and side-by-side harnesses that time BoxKit against the
 * reference tools (GNU tar and gzip for layers, as image-spec
 * <a href="https://github.com/opencontainers/image-spec/blob/v1.1.0/layer.md">layer.md</a>
 * describes them).
 */
package dev.boxkit.benchmarks;
