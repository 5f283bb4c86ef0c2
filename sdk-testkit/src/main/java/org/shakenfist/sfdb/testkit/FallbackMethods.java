package org.shakenfist.sfdb.testkit;

import io.grpc.HandlerRegistry;
import io.grpc.MethodDescriptor;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Serves every {@code shakenfist.protos.DatabaseService} method the fake does not implement, as raw bytes, from
 * the tier's {@link Responses}; counted, faulted and recorded (by {@code calls}) like the implemented ones.
 */
final class FallbackMethods extends HandlerRegistry {
  private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw Status.INTERNAL.withDescription("could not read a request").withCause(e).asRuntimeException();
      }
    }
  };

  private final Responses responses;
  private final ServerInterceptor calls;
  private final Map<String, ServerMethodDefinition<?, ?>> methods = new ConcurrentHashMap<>();

  FallbackMethods(Responses responses, ServerInterceptor calls) {
    this.responses = responses;
    this.calls = calls;
  }

  @Override
  public ServerMethodDefinition<?, ?> lookupMethod(String fullMethodName, String authority) {
    if (!fullMethodName.startsWith(Responses.SERVICE + "/")) {
      return null;
    }
    return methods.computeIfAbsent(fullMethodName, this::define);
  }

  private ServerMethodDefinition<?, ?> define(String fullMethodName) {
    MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder(RAW, RAW)
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(fullMethodName)
        .build();
    String rpc = raw.getBareMethodName();
    ServerServiceDefinition definition = ServerServiceDefinition.builder(Responses.SERVICE)
        .addMethod(raw, ServerCalls.asyncUnaryCall((byte[] request, StreamObserver<byte[]> out) -> {
          try {
            out.onNext(responses.respond(rpc, request));
            out.onCompleted();
          } catch (StatusException e) {
            out.onError(e);
          }
        }))
        .build();
    return ServerInterceptors.intercept(definition, calls).getMethod(fullMethodName);
  }
}
