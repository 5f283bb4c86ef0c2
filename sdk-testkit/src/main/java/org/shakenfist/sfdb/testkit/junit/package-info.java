/**
 * The testkit's JUnit 5 parts: {@link org.shakenfist.sfdb.testkit.junit.DatabaseTierExtension} and
 * {@link org.shakenfist.sfdb.testkit.junit.FanOutAssertions}. The testkit's dependency on
 * {@code junit-jupiter-api} is optional: a test project has it anyway, and programs that use the rest of the
 * testkit (such as the tier-check CLI) do not carry JUnit.
 */
package org.shakenfist.sfdb.testkit.junit;
