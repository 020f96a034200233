/** Quiver's demos and examples: each reads top to bottom as a program a user would copy. */
package dev.quiver.examples;
