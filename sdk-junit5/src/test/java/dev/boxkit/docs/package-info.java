/**
 * The Java snippets of {@code docs/*.md}, compiled here and kept equal to the docs by {@link
 * dev.boxkit.docs.DocsSnippetsTest}; each lies between {@code // tag::name[]} and
 * {@code // end::name[]}.
 */
package dev.boxkit.docs;
