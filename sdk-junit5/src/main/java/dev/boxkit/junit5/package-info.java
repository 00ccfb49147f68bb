/** JUnit 5 extension: throwaway images and sandboxes for integration tests. */
package dev.boxkit.junit5;
