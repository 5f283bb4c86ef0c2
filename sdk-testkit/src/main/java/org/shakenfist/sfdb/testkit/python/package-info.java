/**
 * Optional part of the testkit: a Python grpcio stand-in of the real sf-database gateway
 * ({@link org.shakenfist.sfdb.testkit.python.PythonGateway}). It needs Debian's {@code python3-grpcio},
 * {@code python3-grpc-tools} and {@code python3-prometheus-client} under {@code /usr/bin/python3};
 * {@code PythonGateway.unavailableReason()} says why it cannot run where they are missing. Nothing else in
 * the testkit uses it.
 */
package org.shakenfist.sfdb.testkit.python;
