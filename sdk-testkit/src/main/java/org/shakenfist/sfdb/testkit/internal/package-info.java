/**
 * Implementation of the testkit's fake gateway service. <b>Not API</b>: use
 * {@link org.shakenfist.sfdb.testkit}.
 */
package org.shakenfist.sfdb.testkit.internal;
