// A client-streaming call read message by message as raw bytes, so that a
// message that does not decode is told apart from the end of the stream.
//
// gRPC's typed readers (sync ServerReader::Read, callback reactors over the
// message type) report an undecodable message exactly as they report the end
// of the stream: the handler would answer OK for what came before and the
// rest of the stream would be silently dropped. Reading grpc::ByteBuffer
// (the generated WithRawCallbackMethod_*) and decoding here makes the
// difference visible: the stream then ends with INVALID_ARGUMENT naming the
// message's position, after what came before it was committed.
#ifndef QUORUM_SERVER_CLIENT_STREAM_H_
#define QUORUM_SERVER_CLIENT_STREAM_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "server/grpc_status.h"

namespace quorum::server {

// Type URL prefix of the partial response attached to a stream error.
inline constexpr char kTypeUrlPrefix[] = "type.googleapis.com/";

// Reads a client stream of `Request` messages into `Sink`, which has
//   absl::Status Add(Request request);  // an error ends the stream with it
//   absl::Status Flush();               // commits what was added
//   const Response& response() const;
// At the end of the stream the sink is flushed and its response sent. A
// message that does not decode flushes the sink too, then ends the call with
// INVALID_ARGUMENT naming the message's position (from 0); the response so
// far travels as a detail of the error. Deletes itself when done.
template <typename Request, typename Sink>
class ClientStreamReactor final
    : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  ClientStreamReactor(grpc::ByteBuffer* response, Sink sink)
      : response_(response), sink_(std::move(sink)) {
    StartRead(&buffer_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // End of the stream (or the client cancelled).
      absl::Status flushed = sink_.Flush();
      if (!flushed.ok()) return Finish(ToGrpcStatus(flushed));
      bool own = false;
      grpc::Status serialized =
          grpc::SerializationTraits<typename Sink::Response>::Serialize(
              sink_.response(), response_, &own);
      return Finish(serialized);
    }
    Request request;
    bool decoded = true;  // An empty message is a default one.
    if (buffer_.Valid()) {
      grpc::ProtoBufferReader reader(&buffer_);
      decoded = request.ParseFromZeroCopyStream(&reader);
    }
    buffer_.Clear();
    if (!decoded) {
      absl::Status flushed = sink_.Flush();
      if (!flushed.ok()) return Finish(ToGrpcStatus(flushed));
      absl::Status error = absl::InvalidArgumentError(absl::StrCat(
          "stream message ", position_,
          " (counting from 0) does not decode as ",
          Request::descriptor()->full_name(), "; the ", position_,
          " message(s) before it were committed and the stream was not read "
          "further"));
      error.SetPayload(absl::StrCat(kTypeUrlPrefix,
                                    Sink::Response::descriptor()->full_name()),
                       absl::Cord(sink_.response().SerializeAsString()));
      return Finish(ToGrpcStatus(error));
    }
    ++position_;
    absl::Status added = sink_.Add(std::move(request));
    if (!added.ok()) return Finish(ToGrpcStatus(added));
    StartRead(&buffer_);
  }

  void OnDone() override { delete this; }

 private:
  grpc::ByteBuffer* response_;
  grpc::ByteBuffer buffer_;
  Sink sink_;
  int64_t position_ = 0;
};

}  // namespace quorum::server

#endif  // QUORUM_SERVER_CLIENT_STREAM_H_
