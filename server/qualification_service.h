// QualificationService: verdicts over gRPC.
#ifndef QUORUM_SERVER_QUALIFICATION_SERVICE_H_
#define QUORUM_SERVER_QUALIFICATION_SERVICE_H_

#include <functional>

#include "absl/time/time.h"
#include "google/protobuf/arena.h"
#include "graph/usecases/qualification.h"
#include "grpcpp/support/message_allocator.h"
#include "quorum/v1/qualification_service.grpc.pb.h"

namespace quorum::server {

// Thread-safe; does not own the use case. Each call reads one consistent
// snapshot of the account's tree (an LMDB read transaction, which takes no
// lock shared with other accounts' queries) and computes the verdict from it.
// A verdict is CPU work of tens of microseconds from memory (the snapshot and
// its plan; a cache miss reads the tree once), so QualifyAccount is served by
// gRPC's callback API, on the thread that read the request, like the health
// check: no hand-off to a synchronous worker thread (which cost about a third
// of the server's CPU per verdict). It is not counted by --max-threads.
class QualificationServiceImpl final
    : public v1::QualificationService::CallbackService {
 public:
  explicit QualificationServiceImpl(graph::Qualification* qualification)
      : qualification_(qualification) {
    SetMessageAllocatorFor_QualifyAccount(&messages_);
  }

  grpc::ServerUnaryReactor* QualifyAccount(
      grpc::CallbackServerContext* context,
      const v1::QualifyAccountRequest* request, v1::Verdict* response) override;

 private:
  // Each call's request and verdict on a protobuf arena of their own: the
  // verdict's hundreds of strings and messages are carved from its blocks
  // and freed with them when the call is done.
  class ArenaMessages final
      : public grpc::MessageAllocator<v1::QualifyAccountRequest, v1::Verdict> {
   public:
    grpc::MessageHolder<v1::QualifyAccountRequest, v1::Verdict>*
    AllocateMessages() override {
      return new Holder();
    }

   private:
    class Holder final
        : public grpc::MessageHolder<v1::QualifyAccountRequest, v1::Verdict> {
     public:
      Holder() {
        set_request(
            google::protobuf::Arena::CreateMessage<v1::QualifyAccountRequest>(
                &arena_));
        set_response(
            google::protobuf::Arena::CreateMessage<v1::Verdict>(&arena_));
      }
      void Release() override { delete this; }

     private:
      google::protobuf::Arena arena_;
    };
  };
  ArenaMessages messages_;

  graph::Qualification* qualification_;
};

}  // namespace quorum::server

#endif  // QUORUM_SERVER_QUALIFICATION_SERVICE_H_
