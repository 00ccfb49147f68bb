/**
 * The service-provider interface sandbox backends implement; found with {@link
 * java.util.ServiceLoader} (see
 * <a href="https://docs.oracle.com/en/java/javase/17/docs/api/java.base/java/util/ServiceLoader.html">ServiceLoader</a>).
 */
package dev.boxkit.sandbox.spi;
