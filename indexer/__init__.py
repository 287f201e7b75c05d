"""Write side: parse upstream files into records and build the Whoosh index."""
