#include "server/note_service.h"

#include "server/grpc_status.h"
#include "server/pagination.h"

namespace quorum::server {

grpc::Status NoteServiceImpl::CreateNote(grpc::ServerContext*,
                                         const v1::CreateNoteRequest* request,
                                         v1::Note* response) {
  auto note =
      store_->CreateNote(request->parent(), request->note(), request->note_id());
  if (!note.ok()) return ToGrpcStatus(note.status());
  *response = *std::move(note);
  return grpc::Status::OK;
}

grpc::Status NoteServiceImpl::ListNotes(grpc::ServerContext*,
                                        const v1::ListNotesRequest* request,
                                        v1::ListNotesResponse* response) {
  auto page = ParsePage(request->page_size(), request->page_token(),
                        request->parent());
  if (!page.ok()) return ToGrpcStatus(page.status());
  auto result = store_->ListNotes(request->parent(), page->size, page->start_after);
  if (!result.ok()) return ToGrpcStatus(result.status());
  for (auto& n : result->items) *response->add_notes() = std::move(n);
  if (result->more) {
    response->set_next_page_token(
        NextPageToken(request->parent(), result->last_key));
  }
  return grpc::Status::OK;
}

}  // namespace quorum::server
