/**
 * JMH benchmarks comparing BoxKit with the reference tools it replaces, in the same JVM and run
 * (see <a href="https://github.com/openjdk/jmh">JMH</a>).
 */
package dev.boxkit.benchmarks;
