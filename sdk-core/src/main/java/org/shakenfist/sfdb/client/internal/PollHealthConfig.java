package org.shakenfist.sfdb.client.internal;

import java.time.Duration;

/**
 * Parsed config of the {@code sfdb_poll_health} policy (every field required: the defaults live in
 * {@code DatabaseChannelConfig} only).
 *
 * @param interval time between polls of one READY instance
 * @param timeout deadline of one poll
 * @param failures unanswered polls in a row that make an instance unhealthy
 * @param childPolicy the policy that picks among healthy instances: {@code round_robin},
 *     {@code sfdb_least_request} or {@code pick_first}
 * @param poll whether to poll at all (false: the policy only reports endpoint states; health is grpc's Watch
 *     or off)
 */
record PollHealthConfig(Duration interval, Duration timeout, int failures, String childPolicy, boolean poll) {}
