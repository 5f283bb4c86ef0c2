/**
 * Implementation of sdk-core: name resolvers, the poll-health load-balancing policy, service configs,
 * per-endpoint accounting, the readiness probe. <b>Not API</b>: anything here may change in any release;
 * use {@link org.shakenfist.sfdb.client}. (Public only because grpc's provider registries and the
 * benchmarks need to reach some of it.)
 */
package org.shakenfist.sfdb.client.internal;
