"""What a check finds and says: the finding catalogue, the report model and the names of what is written."""
