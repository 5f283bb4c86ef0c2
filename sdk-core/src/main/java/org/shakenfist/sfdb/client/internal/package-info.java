/**
 * Implementation of sdk-core, one package per step a call's channel takes: {@code resolve} (hosts to one
 * address group per instance), {@code balance} (the tier policy: rotation, panic, endpoint view),
 * {@code health} (the unary health producer, the readiness probe), {@code count} (caller metadata and
 * per-endpoint accounting), {@code channel} (service config, transports, timers). <b>Not API</b>: anything
 * here may change in any release; use {@link org.shakenfist.sfdb.client}.
 */
package org.shakenfist.sfdb.client.internal;
