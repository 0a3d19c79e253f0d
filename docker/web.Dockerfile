# The practice's web page with the chat widget (web/server.py); it talks to Rasa's socket.io.
FROM python:3.10.13-slim-bookworm
ENV PYTHONUNBUFFERED=1 PYTHONPATH=/app WEB_HOST=0.0.0.0
WORKDIR /app
COPY requirements.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c constraints.txt
COPY . .
RUN useradd --create-home web && chown -R web /app
USER web
EXPOSE 8080
CMD ["python", "-m", "web.server"]
