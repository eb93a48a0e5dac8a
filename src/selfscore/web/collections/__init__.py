"""Collections on the web: the reviewer's pages, the units' upload links, the JSON API and who may use them."""
