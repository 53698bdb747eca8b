"""Use cases: each public function is one verb_noun operation for one caller."""
