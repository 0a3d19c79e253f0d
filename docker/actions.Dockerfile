# The action server: custom actions (triage form, red flags, call-backs, booking).
FROM python:3.10.13-slim-bookworm
ENV PYTHONUNBUFFERED=1 PYTHONPATH=/app
WORKDIR /app
COPY requirements.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c constraints.txt
COPY . .
RUN useradd --create-home actions && chown -R actions /app
USER actions
EXPOSE 5055
CMD ["rasa", "run", "actions", "--actions", "actions", "--port", "5055"]
