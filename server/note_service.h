// NoteService: logged interactions over gRPC.
#ifndef QUORUM_SERVER_NOTE_SERVICE_H_
#define QUORUM_SERVER_NOTE_SERVICE_H_

#include "graph/usecases/notes.h"
#include "quorum/v1/note_service.grpc.pb.h"

namespace quorum::server {

// Thread-safe; does not own the use case.
class NoteServiceImpl final : public v1::NoteService::Service {
 public:
  explicit NoteServiceImpl(graph::Notes* notes) : notes_(notes) {}

  grpc::Status CreateNote(grpc::ServerContext*,
                          const v1::CreateNoteRequest* request,
                          v1::Note* response) override;
  grpc::Status ListNotes(grpc::ServerContext*,
                         const v1::ListNotesRequest* request,
                         v1::ListNotesResponse* response) override;

 private:
  graph::Notes* notes_;
};

}  // namespace quorum::server

#endif  // QUORUM_SERVER_NOTE_SERVICE_H_
