#include "server/note_service.h"

#include "server/access.h"
#include "server/grpc_status.h"
#include "server/pagination.h"

namespace quorum::server {

grpc::Status NoteServiceImpl::CreateNote(grpc::ServerContext* context,
                                         const v1::CreateNoteRequest* request,
                                         v1::Note* response) {
  if (request->note().author().empty()) {
    v1::Note note = request->note();
    note.set_author(CallerOf(*context));
    return Reply(
        notes_->CreateNote(request->parent(), note, request->note_id()),
        response);
  }
  return Reply(notes_->CreateNote(request->parent(), request->note(),
                                  request->note_id()),
               response);
}

grpc::Status NoteServiceImpl::ListNotes(grpc::ServerContext*,
                                        const v1::ListNotesRequest* request,
                                        v1::ListNotesResponse* response) {
  return ListPage<v1::Note>(
      request->page_size(), request->page_token(), request->parent(),
      [&](int n, const std::string& after) {
        return notes_->ListNotes(request->parent(), n, after);
      },
      response->mutable_notes(), response->mutable_next_page_token());
}

}  // namespace quorum::server
