/** An integration test suite using the BoxKit JUnit 5 extension. */
package dev.boxkit.samples.junit;
