package org.shakenfist.sfdb.testkit;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import com.google.protobuf.MessageLite;
import io.grpc.Metadata;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.shakenfist.sfdb.client.CallerMetadata;

/** One instance's record of the calls it received: bounded (oldest dropped first), awaitable. Thread-safe. */
final class CallRecorder {
  private final String instance;
  private final int limit;
  private final Runnable onRecord;
  private final ArrayDeque<RecordedCall> held = new ArrayDeque<>();
  private long dropped;

  /**
   * @param limit calls held at most (0: none)
   * @param onRecord run after each call is recorded (the tier's waits wake on it)
   */
  CallRecorder(String instance, int limit, Runnable onRecord) {
    this.instance = instance;
    this.limit = limit;
    this.onRecord = onRecord;
  }

  void record(String method, Metadata headers, Object request) {
    ByteString bytes = request instanceof MessageLite m ? m.toByteString()
        : request instanceof byte[] b ? Responses.copy(b) : ByteString.EMPTY;
    RecordedCall call = new RecordedCall(instance, method, headers.get(CallerMetadata.CALLER_DAEMON),
        headers.get(CallerMetadata.CALLER_NODE), Instant.now(), bytes, request instanceof Message m ? m : null);
    synchronized (held) {
      if (limit <= 0) {
        dropped++;
        return;
      }
      if (held.size() >= limit) {
        held.removeFirst();
        dropped++;
      }
      held.addLast(call);
      held.notifyAll();
    }
    onRecord.run();
  }

  List<RecordedCall> held() {
    synchronized (held) {
      return List.copyOf(held);
    }
  }

  List<RecordedCall> take() {
    synchronized (held) {
      List<RecordedCall> out = List.copyOf(held);
      held.clear();
      return out;
    }
  }

  long dropped() {
    synchronized (held) {
      return dropped;
    }
  }

  void clear() {
    synchronized (held) {
      held.clear();
      dropped = 0;
    }
  }

  /** The first held call that matches, waiting for one up to {@code timeout}. */
  RecordedCall await(Predicate<RecordedCall> match, Duration timeout) throws TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (held) {
      while (true) {
        for (RecordedCall c : held) {
          if (match.test(c)) {
            return c;
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new TimeoutException(instance + ": no matching call within " + timeout + "; held: "
              + held.stream().map(RecordedCall::rpc).toList());
        }
        TimeUnit.NANOSECONDS.timedWait(held, left);
      }
    }
  }
}
