"""From MRT archives to the store: parser backends, the record walk, filters, the pipeline."""
