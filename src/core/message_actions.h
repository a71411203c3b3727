#pragma once
// ActionBatch: what one commit does to the messages its new entries refer
// to, the rules of edit, delete, reaction and reply in one place for every
// sequencer (the single node's LocalSequencer, the cluster's MariaDB one).
//
// An action (edit, deletion, reaction) is an entry of the log like a text
// message: it takes its chat's next seq and is delivered and replayed like
// one. Committing it also changes its target's stored state in the same
// atomic write: an edit replaces the text and sets edited_at; a deletion
// empties the text (and the texts of the target's edit entries: nothing of
// it stays in storage), drops the reactions and marks it deleted; a reaction
// sets or removes its sender's one emoji. A text message may quote an
// earlier one (reply_to). The target is checked inside the commit, against
// the state of the log (and of the batch so far): whoever commits first
// wins, on any node.
//
// One batch of one commit; one thread. The lookup reads the stored message
// as the committing writer sees it (under its lock or in its transaction).

#include <functional>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "core/ports.h"

namespace parley {

class ActionBatch {
 public:
  using Lookup = std::function<Result<std::optional<Message>>(const ChatId& chat, Seq seq)>;
  explicit ActionBatch(Lookup lookup) : lookup_(std::move(lookup)) {}

  // Before `entry` takes a seq: whether it may be committed now. Refusals:
  // not_found (no such message in the chat, or it was deleted), forbidden
  // (editing or deleting someone else's message), invalid_request (acting
  // on or quoting an action entry); or the lookup's own error. A refused
  // entry changes nothing.
  Status check(const NewMessage& entry);
  // `entry`, checked and given its seq and offset, is part of the batch:
  // applied to its target in the batch's view. An action on a withheld
  // message is withheld too (finish() says so).
  void apply(const Message& entry);
  // When the batch is complete: each of `fresh` (the batch's new entries,
  // in order) set to its state after the batch (an entry acted upon in the
  // same batch is stored that way), and the messages stored before whose
  // state changed, to write in the same atomic write.
  std::vector<Message> finish(std::vector<Message>& fresh);

 private:
  struct Entry {
    Message message;
    bool fresh = false;
    bool changed = false;
  };
  // The message as the batch sees it; nullptr when there is none.
  Result<Entry*> get(const ChatId& chat, Seq seq);

  Lookup lookup_;
  std::map<std::pair<ChatId, Seq>, Entry> seen_;
};

// The refusals ActionBatch::check gives for a rule (not a store failure):
// the sender hears them as they are.
bool is_action_refusal(const Error& error);

}  // namespace parley
