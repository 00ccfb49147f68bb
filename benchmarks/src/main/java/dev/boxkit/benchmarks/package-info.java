/**
 * Benchmarks: JMH micro-benchmarks and side-by-side harnesses that time BoxKit against the
 * reference tools in the same run (GNU tar and gzip for layers, as image-spec
 * <a href="https://github.com/opencontainers/image-spec/blob/v1.1.0/layer.md">layer.md</a>
 * describes them; bwrap for sandbox start-up; skopeo for registry transfers), reported as ratios.
 */
package dev.boxkit.benchmarks;
