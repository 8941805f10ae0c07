"""AI agents: Agents, knowledge bases, documents and chunks, retrieval, the LLM gateway, tools, CRM."""
