# The Rasa server (REST, socket.io, WhatsApp channels) in the production profile:
# PostgreSQL tracker store and Redis lock store from endpoints.production.yml.
FROM python:3.10.13-slim-bookworm
ENV PYTHONUNBUFFERED=1 RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3 PYTHONPATH=/app
WORKDIR /app
COPY requirements.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c constraints.txt
COPY . .
RUN useradd --create-home rasa && chown -R rasa /app
USER rasa
EXPOSE 5005
# The model is trained at build time unless models/triage.tar.gz is in the build context.
RUN test -f models/triage.tar.gz || rasa train --fixed-model-name triage --out models
# --auth-token and the allowed origins come from the environment; none has a default here.
CMD ["sh", "-c", "exec python -m serving run --model models/triage.tar.gz --endpoints endpoints.production.yml --credentials credentials.yml --enable-api --auth-token \"${RASA_TOKEN:?set RASA_TOKEN}\" --cors \"${WEB_ORIGINS:?set WEB_ORIGINS}\" --port 5005"]
